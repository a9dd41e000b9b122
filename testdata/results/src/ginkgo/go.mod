module example.com/ginkgoe2e

go 1.26
