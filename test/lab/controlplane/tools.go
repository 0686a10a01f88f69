//go:build tools

// Package controlplane only records the commands the lab builds, so `go mod tidy`
// keeps their dependencies. Nothing here is compiled into a binary.
package controlplane

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
)
