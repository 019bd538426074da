package console

import (
	"embed"
	"io/fs"
	"net/http"
)

// assets are the page: HTML, CSS and JavaScript, embedded in the binary.
// Nothing is fetched from elsewhere (no CDN, no web fonts), so the page
// works with no network at all.
//
//go:embed assets
var assets embed.FS

func assetFS() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	return sub
}

// pageHandler serves the console page at /.
func pageHandler() http.Handler {
	page, err := fs.ReadFile(assetFS(), "index.html")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
}

// assetHandler serves /assets/ from the embedded files.
func assetHandler() http.Handler {
	files := http.StripPrefix("/assets/", http.FileServerFS(assetFS()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
