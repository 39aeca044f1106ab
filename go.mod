module github.com/framecast/framecast

go 1.25
