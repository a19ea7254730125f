package admin

import (
	"net/http"
	"net/url"
	"strconv"
)

// pageSize is how many rows a listing shows at once.
const pageSize = 50

// Pager links a listing's pages, keeping its filters.
type Pager struct {
	Page, Pages      int
	Total            int
	PrevURL, NextURL string // "" when there is no such page
}

// maxPage bounds ?page= so that its offset cannot overflow.
const maxPage = 1 << 24

// pageOffset reads ?page= (counting from 1) as an offset into the listing.
func pageOffset(r *http.Request) (page, offset int) {
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	page = min(page, maxPage)
	return page, (page - 1) * pageSize
}

// newPager builds the links around page of a listing of total rows.
func newPager(r *http.Request, page, total int) Pager {
	p := Pager{Page: page, Total: total, Pages: max(1, (total+pageSize-1)/pageSize)}
	if page > 1 {
		p.PrevURL = withQuery(r.URL, "page", strconv.Itoa(page-1))
	}
	if page < p.Pages {
		p.NextURL = withQuery(r.URL, "page", strconv.Itoa(page+1))
	}
	return p
}

// withQuery is u's path and query with key set to value.
func withQuery(u *url.URL, key, value string) string {
	q := u.Query()
	q.Set(key, value)
	return u.Path + "?" + q.Encode()
}
