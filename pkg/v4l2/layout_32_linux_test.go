//go:build linux && (386 || arm)

package v4l2

import "unsafe"

// time32Sizes checks the 32-bit time v4l2_buffer (VIDIOC_QUERYBUF_TIME32 is
// 0xc0445609 on both 386 and arm).
func time32Sizes() []struct {
	name      string
	got, want uintptr
} {
	var b rawBuffer32
	return []struct {
		name      string
		got, want uintptr
	}{
		{"v4l2_buffer_time32", unsafe.Sizeof(b), 68},
		{"v4l2_buffer_time32.m offset", unsafe.Offsetof(b.M), 52},
		{"VIDIOC_QUERYBUF_TIME32", iocRW<<30 | unsafe.Sizeof(b)<<16 | 'V'<<8 | nrQueryBuf, 0xc0445609},
	}
}
