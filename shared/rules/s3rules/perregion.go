package s3rules

import "sync"

// perRegion builds one client per region on first use and keeps it: S3
// buckets are served only by their own region's endpoint.
type perRegion[T any] struct {
	mu    sync.Mutex
	make  func(region string) T
	cache map[string]T
}

func newPerRegion[T any](make func(region string) T) *perRegion[T] {
	return &perRegion[T]{make: make, cache: map[string]T{}}
}

func (p *perRegion[T]) get(region string) T {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.cache[region]
	if !ok {
		c = p.make(region)
		p.cache[region] = c
	}
	return c
}
