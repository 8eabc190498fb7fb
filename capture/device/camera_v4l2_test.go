//go:build linux

package device

import (
	"reflect"
	"testing"

	"github.com/blackjack/webcam"
)

// TestWebcamDescriptor guards what v4l2Driver.Open relies on: webcam.Webcam
// keeps its descriptor in an unexported uintptr field named fd.
func TestWebcamDescriptor(t *testing.T) {
	f, ok := reflect.TypeOf(webcam.Webcam{}).FieldByName("fd")
	if !ok || f.Type.Kind() != reflect.Uintptr {
		t.Fatalf("webcam.Webcam has no uintptr fd field (%v): update v4l2Driver.Open", f)
	}
}

func TestV4L2SizesAndRates(t *testing.T) {
	if got := frameSizes(webcam.FrameSize{MinWidth: 1280, MaxWidth: 1280, MinHeight: 720, MaxHeight: 720}); !reflect.DeepEqual(got, [][2]int{{1280, 720}}) {
		t.Errorf("discrete size: %v", got)
	}
	step := webcam.FrameSize{MinWidth: 320, MaxWidth: 1920, StepWidth: 16, MinHeight: 240, MaxHeight: 1200, StepHeight: 8}
	if got := frameSizes(step); !reflect.DeepEqual(got, [][2]int{{1920, 1200}, {640, 360}, {640, 480}, {1280, 720}}) {
		t.Errorf("stepwise sizes: %v", got)
	}
	if got := frameRates(webcam.FrameRate{MinNumerator: 1, MaxNumerator: 1, MinDenominator: 30, MaxDenominator: 30}); !reflect.DeepEqual(got, []float64{30}) {
		t.Errorf("discrete 1/30: %v", got)
	}
	r := webcam.FrameRate{MinNumerator: 1, MaxNumerator: 1, StepNumerator: 1, MinDenominator: 60, MaxDenominator: 5, StepDenominator: 1}
	if got := frameRates(r); !reflect.DeepEqual(got, []float64{60, 5}) {
		t.Errorf("stepwise 1/60…1/5: %v", got)
	}
	if got := (v4l2Driver{}).List(); len(got) != 0 {
		t.Logf("cameras here: %v", got)
	}
}
