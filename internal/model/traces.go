package model

import (
	"fmt"
	"time"

	"github.com/org/k8s-e2e-report/internal/bundle"
	"github.com/org/k8s-e2e-report/internal/findings"
)

// TracesFile is where the traces collector (a later issue) writes Jaeger's API output.
const TracesFile = "traces.json"

// loadTraces summarises traces.json (Jaeger query API format: {"data": [trace...]}) if present.
func loadTraces(br *bundle.Reader, gap func(string, error)) *TraceSummary {
	if _, err := br.Stat(TracesFile); err != nil {
		return nil
	}
	var doc struct {
		Data []struct {
			TraceID string `json:"traceID"`
			Spans   []struct {
				OperationName string `json:"operationName"`
				ProcessID     string `json:"processID"`
				StartTime     int64  `json:"startTime"` // µs
				Tags          []struct {
					Key   string `json:"key"`
					Value any    `json:"value"`
				} `json:"tags"`
			} `json:"spans"`
			Processes map[string]struct {
				ServiceName string `json:"serviceName"`
			} `json:"processes"`
		} `json:"data"`
	}
	if err := readJSON(br, TracesFile, &doc); err != nil {
		gap("render", fmt.Errorf("%s: %v", TracesFile, err))
		return nil
	}
	s := &TraceSummary{Services: map[string]int{}}
	for _, t := range doc.Data {
		s.Traces++
		for _, sp := range t.Spans {
			s.Spans++
			svc := t.Processes[sp.ProcessID].ServiceName
			s.Services[svc]++
			isErr, msg := false, ""
			for _, tag := range sp.Tags {
				switch tag.Key {
				case "error":
					isErr = isErr || tag.Value == true || tag.Value == "true"
				case "otel.status_code":
					isErr = isErr || tag.Value == "ERROR"
				case "otel.status_description", "error.message":
					msg = fmt.Sprint(tag.Value)
				}
			}
			if isErr && len(s.ErrorSpans) < 50 {
				s.ErrorSpans = append(s.ErrorSpans, findings.Span{TraceID: t.TraceID, Service: svc, Operation: sp.OperationName, Message: msg,
					Time: time.UnixMicro(sp.StartTime).UTC()})
			}
		}
	}
	return s
}
