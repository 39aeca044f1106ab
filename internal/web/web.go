// Package web holds framecast's page: plain HTML, CSS and JavaScript,
// embedded in the binary so it works on a LAN with no internet.
package web

import "embed"

// FS holds the page's files under static/.
//
//go:embed static
var FS embed.FS
