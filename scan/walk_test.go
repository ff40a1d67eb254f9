package scan

import (
	"io/fs"
	"path/filepath"
)

// walkFiles calls fn for every regular file under dir.
func walkFiles(dir string, fn func(path string)) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			fn(path)
		}
		return err
	})
}
