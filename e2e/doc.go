// Package e2e tests framecast's page in a real headless Chromium, driven
// with chromedp against servers started in the tests on 127.0.0.1. It holds
// tests only. Outside CI the tests skip when chromium is not installed; in
// CI (CI=true) they fail instead.
//
// Run with -shots=DIR to save screenshots of the layouts to DIR.
package e2e
