package main

import "io"

func runREPL(cl *cmdline, stdin io.Reader, stdout, stderr io.Writer) int    { return 0 }
func runExplain(cl *cmdline, stdin io.Reader, stdout, stderr io.Writer) int { return 0 }
func runSQL(cl *cmdline, stdin io.Reader, stdout, stderr io.Writer) int     { return 0 }
