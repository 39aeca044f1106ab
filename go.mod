module github.com/framecast/framecast

go 1.26.0

require (
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/crypto v0.59.0
	golang.org/x/image v0.45.0
	golang.org/x/term v0.48.0
	golang.org/x/sys v0.50.0 // indirect
)
