"""The govsweep command line: argument parsing and one function per command."""
