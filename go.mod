module github.com/framecast/framecast

go 1.26.0

require (
	golang.org/x/image v0.45.0
	golang.org/x/sys v0.50.0 // indirect
)
