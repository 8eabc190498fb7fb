package main

import "os"

// envLLVMpipeThreads is Mesa's setting for how many threads its software
// renderer (llvmpipe) rasterises with; a GPU driver ignores it.
const envLLVMpipeThreads = "LP_NUM_THREADS"

// tuneSoftwareGL makes Mesa's software renderer, when the window runs on
// one (no GPU, a virtual machine, Xvfb), rasterise in the thread that
// draws, unless the user set LP_NUM_THREADS. The window redraws a few
// small changes a second; llvmpipe's default of one raster thread per
// core spent more on handing them work than it saved. Live at 1280x720
// under Xvfb on two cores the window took 80.8% of a core with the
// default and 68.4% with this (scripts/bench-window.sh, medians of 3; see
// the README's table). It must run before the window's GL
// context exists: Mesa reads the variable when it starts.
func tuneSoftwareGL() {
	if _, set := os.LookupEnv(envLLVMpipeThreads); !set {
		_ = os.Setenv(envLLVMpipeThreads, "0")
	}
}
