package main

import "studio/ui"

// runWindow opens the studio window and returns when it is closed.
func runWindow(o options) int {
	ui.Run(ui.Options{Version: version})
	return 0
}
