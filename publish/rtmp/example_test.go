package rtmp_test

import (
	"context"
	"log"
	"time"

	"studio/encode"
	"studio/publish/rtmp"
	"studio/publish/rtmp/wire"
)

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := rtmp.Publish(ctx, "rtmp://a.rtmp.youtube.com/live2/xxxx-xxxx-xxxx-xxxx", rtmp.Options{
		OnStatus: func(st wire.Status) { log.Printf("server: %v", st) },
	})
	if err != nil {
		log.Fatal(err) // errors.Is(err, wire.ErrRejected), ErrTimeout, ErrTLS…
	}
	defer s.Close(context.Background())

	var info encode.StreamInfo // from the encoders: SPS, PPS, AudioSpecificConfig…
	if err := s.WriteHeader(info); err != nil {
		log.Fatal(err)
	}
	var packets <-chan *encode.Packet // from the encoders
	for {
		select {
		case p := <-packets:
			err := s.WritePacket(p)
			p.Release()
			if err != nil {
				log.Fatal(err) // the connection is dead: reconnect
			}
		case <-s.Done():
			log.Fatal(s.Err()) // the server closed the connection, or sent garbage
		}
	}
}
