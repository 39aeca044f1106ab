//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package v4l2

// time32Sizes: 64-bit architectures have one v4l2_buffer layout only.
func time32Sizes() []struct {
	name      string
	got, want uintptr
} {
	return nil
}
