//go:build !linux || !cgo

package main

const cMallocTunable = false

func tuneCMalloc() {}

func trimCMalloc() {}
