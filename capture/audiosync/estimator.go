package audiosync

// Estimator parameters. Points are (x, y) = (input index / nominal rate,
// arrival) in seconds; the fitted line's slope b is media seconds per
// nominal device second, so the device runs at nominal/b samples per second.
const (
	bucketSpan   = 0.25 // seconds of arrivals averaged into one bucket
	fitWindow    = 20.0 // seconds of arrivals the fit looks back
	maxBuckets   = 128  // bound on stored buckets whatever the arrivals
	priorWeight  = 1.5  // ridge weight (s²) pulling the slope toward the prior
	minDriftSpan = 3.0  // seconds of data before DriftPPM reports
	trustSpan    = 2.0  // seconds of data before outliers are screened
	outlier      = 0.04 // residual (s) beyond which a point is screened
	outlierRun   = 1.0  // seconds of screened arrivals that start a new segment
	maxSkew      = 0.05 // the slope is kept within 1±maxSkew
)

// bucket accumulates the points of one segment that arrived within
// bucketSpan, as Welford running moments.
type bucket struct {
	seg        int
	n          float64
	mx, my     float64 // means
	sxx, sxy   float64 // centered sums
	minX, maxX float64
	firstY     float64
	lastY      float64
}

func (k *bucket) add(x, y float64) {
	k.n++
	dx := x - k.mx
	k.mx += dx / k.n
	k.my += (y - k.my) / k.n
	k.sxx += dx * (x - k.mx)
	k.sxy += dx * (y - k.my)
	k.maxX = max(k.maxX, x)
	k.minX = min(k.minX, x)
	k.lastY = y
}

// merge adds the moments of o into k (Chan et al.'s parallel formula).
func (k *bucket) merge(o *bucket) {
	if o.n == 0 {
		return
	}
	if k.n == 0 {
		*k = *o
		return
	}
	n := k.n + o.n
	dx, dy := o.mx-k.mx, o.my-k.my
	k.sxx += o.sxx + dx*dx*k.n*o.n/n
	k.sxy += o.sxy + dx*dy*k.n*o.n/n
	k.mx += dx * o.n / n
	k.my += dy * o.n / n
	k.n = n
	k.minX = min(k.minX, o.minX)
	k.maxX = max(k.maxX, o.maxX)
}

// estimator fits arrival = a_seg + b·x by least squares over a sliding
// window: one slope b shared by all segments (the device's rate) and one
// intercept per segment (a segment starts at each re-lock, when the mapping
// from input index to time jumps). A ridge term pulls b toward a prior, so
// the first second of noisy arrivals cannot swing the rate.
type estimator struct {
	b0      float64 // prior slope
	buckets []bucket
	seg     int
	// fit results
	b        float64 // slope
	cur      bucket  // current segment's merged moments
	span     float64 // seconds of x covered by the window
	anchorX  float64 // a point on the current segment's line, used
	anchorY  float64 // while the segment has no data
	screenY0 float64 // arrival of the first point of the screened run
	screened bool
}

// reset forgets all data; b0 is the prior slope.
func (e *estimator) reset(b0 float64) {
	e.b0 = b0
	e.b = b0
	e.buckets = e.buckets[:0]
	e.seg++
	e.cur = bucket{}
	e.span = 0
	e.screened = false
}

// newSegment starts a new intercept through (x, y), keeping the slope data.
func (e *estimator) newSegment(x, y float64) {
	e.seg++
	e.cur = bucket{}
	e.anchorX, e.anchorY = x, y
	e.screened = false
}

// at returns the line's time for x on the current segment.
func (e *estimator) at(x float64) float64 {
	if e.cur.n == 0 {
		return e.anchorY + e.b*(x-e.anchorX)
	}
	return e.cur.my + e.b*(x-e.cur.mx)
}

// add offers the point (x, y). Once the fit is trusted, a point whose
// residual exceeds outlier is screened out; when screened points keep coming
// for outlierRun seconds the line has moved, and a new segment starts.
func (e *estimator) add(x, y float64) {
	if e.span >= trustSpan {
		if r := y - e.at(x); r > outlier || r < -outlier {
			if !e.screened {
				e.screened, e.screenY0 = true, y
			}
			if y-e.screenY0 < outlierRun {
				return
			}
			e.newSegment(x, y)
		}
	}
	e.screened = false
	if n := len(e.buckets); n > 0 {
		if last := &e.buckets[n-1]; last.seg == e.seg && y-last.firstY < bucketSpan && y >= last.firstY {
			last.add(x, y)
			e.fit(y)
			return
		}
	}
	if len(e.buckets) == maxBuckets {
		e.drop(1)
	}
	e.buckets = append(e.buckets, bucket{seg: e.seg, firstY: y, minX: x, maxX: x})
	e.buckets[len(e.buckets)-1].add(x, y)
	e.fit(y)
}

// drop removes the k oldest buckets without allocating.
func (e *estimator) drop(k int) {
	n := copy(e.buckets, e.buckets[k:])
	e.buckets = e.buckets[:n]
}

// fit evicts buckets older than the window before now and refits.
func (e *estimator) fit(now float64) {
	k := 0
	for k < len(e.buckets)-1 && e.buckets[k].lastY < now-fitWindow {
		k++
	}
	if k > 0 {
		e.drop(k)
	}
	var sxx, sxy, span float64
	var s bucket
	flush := func() {
		sxx += s.sxx
		sxy += s.sxy
		span += s.maxX - s.minX
	}
	for i := range e.buckets {
		k := &e.buckets[i]
		if i > 0 && k.seg != s.seg {
			flush()
			s = bucket{}
		}
		s.merge(k)
		s.seg = k.seg
	}
	flush()
	e.cur = bucket{}
	if s.seg == e.seg {
		e.cur = s
	}
	e.span = span
	b := (sxy + priorWeight*e.b0) / (sxx + priorWeight)
	e.b = min(max(b, 1/(1+maxSkew)), 1/(1-maxSkew))
}

// driftPPM is the device's rate against nominal, or 0 without enough data.
func (e *estimator) driftPPM() float64 {
	if e.span < minDriftSpan {
		return 0
	}
	return (1/e.b - 1) * 1e6
}
