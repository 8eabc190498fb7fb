package amf0_test

import (
	"fmt"

	"studio/publish/amf0"
)

func ExampleMarshal() {
	b, err := amf0.Marshal("createStream", 4.0, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)
	// Output: 02 00 0c 63 72 65 61 74 65 53 74 72 65 61 6d 00 40 10 00 00 00 00 00 00 05
}

func ExampleUnmarshal() {
	// The body of an onStatus command.
	b, _ := amf0.Marshal("onStatus", 0.0, nil, amf0.Object{
		{Key: "level", Value: "error"},
		{Key: "code", Value: "NetStream.Publish.BadName"},
		{Key: "description", Value: "Already publishing"},
	})
	vals, err := amf0.Unmarshal(b)
	if err != nil {
		panic(err)
	}
	info := vals[3].(amf0.Object)
	code, _ := info.String("code")
	desc, _ := info.String("description")
	fmt.Println(vals[0], code, desc)
	// Output: onStatus NetStream.Publish.BadName Already publishing
}
