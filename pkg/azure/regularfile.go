package azure

import (
	"fmt"
	"os"
)

// checkRegularFile refuses a path that exists but is not a regular file (a
// FIFO, a device, a socket, a directory) before anything opens it, as the
// manifest loader in pkg/spec does: opening a FIFO blocks until something
// writes to it, so a FIFO given as --cloud, --credentials or --secret-file
// would hang the command (apply with the state lock held). A missing path
// passes: the open that follows reports it.
func checkRegularFile(what, path string) error {
	st, err := os.Stat(path)
	if err != nil || st.Mode().IsRegular() {
		return nil
	}
	kind := "a special file"
	switch m := st.Mode(); {
	case m.IsDir():
		kind = "a directory"
	case m&os.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&os.ModeDevice != 0:
		kind = "a device"
	case m&os.ModeSocket != 0:
		kind = "a socket"
	}
	return fmt.Errorf("%s %s is %s, not a regular file; write it to a file and pass that path", what, path, kind)
}
