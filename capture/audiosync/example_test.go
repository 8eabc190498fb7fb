package audiosync_test

import (
	"fmt"
	"time"

	"studio/capture"
	"studio/capture/audiosync"
)

// A microphone read loop: each block goes in with the media-clock time it
// was read; frames come out in the encoder's format, on the media clock.
func Example() {
	a := audiosync.New(capture.AudioProps{SampleRate: 48000, Channels: 2}, 1024)
	block := make([]int16, 441) // 10 ms of 44.1 kHz mono
	frames := 0
	var first time.Duration
	for i := 1; i <= 100; i++ { // one second, read every 10 ms from t = 1 s
		arrival := time.Second + time.Duration(i)*10*time.Millisecond
		for _, f := range a.Push(block, 44100, 1, arrival) {
			if frames == 0 {
				first = f.PTS
			}
			frames++
			f.Release() // after encoding it
		}
	}
	fmt.Println("first PTS:", first)
	fmt.Println("frames:", frames, "next PTS:", a.Next())
	// Output:
	// first PTS: 1s
	// frames: 46 next PTS: 1.981333333s
}
