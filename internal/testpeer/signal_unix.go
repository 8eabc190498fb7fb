package testpeer

import "syscall"

var syscallQuit = syscall.SIGQUIT
