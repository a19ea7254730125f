package cli

import (
	"fmt"
	"net/http"
	"time"
)

// runHealthcheck asks a running gateway whether it is ready: the container
// image has no curl, so its HEALTHCHECK calls the binary itself.
func runHealthcheck(e env, args []string) error {
	fs, _ := flags(e, "healthcheck")
	url := fs.String("url", "http://127.0.0.1:8080/readyz", "readiness URL")
	if err := parse(fs, args); err != nil {
		return err
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(*url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", *url, resp.Status)
	}
	return nil
}
