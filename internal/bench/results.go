package main

import (
	"fmt"
	"strings"
)

// publishers in table order: ffmpeg sends testsrc2, ffmpeg-pattern sends
// studio's own test pattern.
var publishers = []string{"ffmpeg", "studio", "ffmpeg-pattern"}

// results is everything one invocation measured.
type results struct {
	Config  config             `json:"config"`
	Machine machine            `json:"machine"`
	Runs    []run              `json:"runs"`
	Median  map[string]summary `json:"median"` // by publisher
	Ratio   map[string]summary `json:"ratio"`  // "studio/ffmpeg" (and "studio/ffmpeg-pattern"), of the medians
}

// summary holds the figures the table shows, for one publisher (medians
// over its runs) or as a ratio.
type summary struct {
	CPUS         float64 `json:"cpu_s"`
	CPUPct       float64 `json:"cpu_pct_of_core"`
	CPUMSFrame   float64 `json:"cpu_ms_per_frame"`
	Frames       float64 `json:"video_frames"`
	UserS        float64 `json:"user_s"`
	SysS         float64 `json:"sys_s"`
	RSSMB        float64 `json:"peak_rss_mb"`
	FirstMediaMS float64 `json:"first_media_ms"`
	FirstFrameMS float64 `json:"first_frame_ms"`
	VideoKbps    float64 `json:"video_kbps"`
	AudioKbps    float64 `json:"audio_kbps"`
	DelayP50MS   float64 `json:"delay_p50_ms"`
	DelayP99MS   float64 `json:"delay_p99_ms"`
}

func buildResults(c config, m machine, runs []run) results {
	res := results{Config: c, Machine: m, Runs: runs, Median: map[string]summary{}, Ratio: map[string]summary{}}
	for _, pub := range publishers {
		var col [13][]float64
		for _, r := range runs {
			if r.Publisher != pub {
				continue
			}
			v := summary{r.CPUS, r.CPUPct, r.CPUMSFrame, float64(r.VideoFrames), r.UserS, r.SysS, r.RSSMB, r.FirstMediaMS, r.FirstFrameMS, r.VideoKbps, r.AudioKbps, r.DelayP50MS, r.DelayP99MS}
			for i, f := range v.fieldPtrs() {
				col[i] = append(col[i], *f)
			}
		}
		if len(col[0]) == 0 {
			continue
		}
		var s summary
		for i, f := range s.fieldPtrs() {
			*f = median(col[i])
		}
		res.Median[pub] = s
	}
	st, okS := res.Median["studio"]
	for _, base := range []string{"ffmpeg", "ffmpeg-pattern"} {
		f, ok := res.Median[base]
		if !ok || !okS {
			continue
		}
		var r summary
		fp, sp, rp := f.fieldPtrs(), st.fieldPtrs(), r.fieldPtrs()
		for i := range rp {
			if *fp[i] != 0 {
				*rp[i] = *sp[i] / *fp[i]
			}
		}
		res.Ratio["studio/"+base] = r
	}
	return res
}

// fieldPtrs is fields on the receiver itself.
func (s *summary) fieldPtrs() []*float64 {
	return []*float64{&s.CPUS, &s.CPUPct, &s.CPUMSFrame, &s.Frames, &s.UserS, &s.SysS, &s.RSSMB, &s.FirstMediaMS, &s.FirstFrameMS, &s.VideoKbps, &s.AudioKbps, &s.DelayP50MS, &s.DelayP99MS}
}

// markdown renders the medians, the ratio and every run as Markdown tables.
func (res results) markdown() string {
	var b strings.Builder
	c, m := res.Config, res.Machine
	fmt.Fprintf(&b, "%dx%d@%d, x264 %s zerolatency %d kbit/s, keyint %gs, AAC %d kbit/s; %d × %gs per publisher, alternating.\n",
		c.Width, c.Height, c.FPS, c.Preset, c.BitrateKbps, c.KeyIntervalS, c.AudioKbps, c.Runs, c.DurationS)
	fmt.Fprintf(&b, "Machine: %s, %d CPUs; load average %s at start, %s at end; %s; %s.\n\n",
		m.CPUModel, m.NProc, m.LoadStart, m.LoadEnd, m.GoVersion, m.FFmpeg)
	b.WriteString("| median | CPU s | CPU % of a core | CPU ms/frame | video frames | user s | sys s | peak RSS MB | first media ms | first frame ms | video kbit/s | audio kbit/s | delay p50 ms | delay p99 ms |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	row := func(name string, s summary, format string) {
		fmt.Fprintf(&b, "| %s |", name)
		for _, f := range s.fieldPtrs() {
			fmt.Fprintf(&b, " "+format+" |", *f)
		}
		b.WriteString("\n")
	}
	for _, pub := range publishers {
		if s, ok := res.Median[pub]; ok {
			row(pub, s, "%.1f")
		}
	}
	for _, base := range []string{"ffmpeg", "ffmpeg-pattern"} {
		if r, ok := res.Ratio["studio/"+base]; ok {
			row("studio/"+base, r, "%.2f")
		}
	}
	b.WriteString("\nRuns in order:\n\n| run | load1 | CPU s | peak RSS MB | first frame ms | video kbit/s | audio kbit/s | delay p50 ms | delay p99 ms | delay max ms | frames |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range res.Runs {
		fmt.Fprintf(&b, "| %s %d | %.2f | %.2f | %.1f | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f | %d |\n",
			r.Publisher, r.Index, r.Load1, r.CPUS, r.RSSMB, r.FirstFrameMS, r.VideoKbps, r.AudioKbps, r.DelayP50MS, r.DelayP99MS, r.DelayMaxMS, r.VideoFrames)
	}
	return b.String()
}
