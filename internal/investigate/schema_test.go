package investigate_test

import (
	"github.com/org/k8s-e2e-report/internal/investigate"
	"github.com/org/k8s-e2e-report/internal/investigate/schemacheck"
)

func init() { *investigate.Validator = schemacheck.ValidateJSON }
