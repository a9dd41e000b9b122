// Command etcd is etcd v3.6, built from the module graph that k8s.io/kubernetes selects.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
