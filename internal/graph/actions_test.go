package graph

import (
	"strings"
	"testing"
	"time"
)

func TestReprocessGuard(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, tc := range []struct {
		r       Request
		proceed bool
		warn    string
		err     string
	}{
		{Request{ID: "r", State: StateDeliveryFailed, Completed: ago(time.Hour)}, true, "", ""},
		{Request{ID: "r", State: StatePartiallyDelivered, Completed: ago(14*24*time.Hour - time.Minute)}, true, "", ""},
		{Request{ID: "r", State: StateDeliveryFailed, Completed: ago(14*24*time.Hour + time.Minute)}, false, "", "more than 14 days ago"},
		{Request{ID: "r", State: StateDelivered}, false, "already delivered", ""},
		{Request{ID: "r", State: StateDelivering, Status: "Delivering"}, false, "", "is delivering"},
		{Request{ID: "r", State: StateDenied}, false, "", "only requests that ended deliveryFailed or partiallyDelivered"},
	} {
		proceed, warn, err := ReprocessGuard(&tc.r, now)
		if proceed != tc.proceed || !strings.Contains(warn, tc.warn) || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: %v %q %v", tc.r, proceed, warn, err)
		}
	}
}

func TestValidateResumeAndGuard(t *testing.T) {
	for _, tc := range []struct {
		in  ResumeInput
		err string
	}{
		{ResumeInput{Stage: "assignmentRequestCreated"}, ""},
		{ResumeInput{Stage: "assignmentRequestCreated", State: "denied"}, ""},
		{ResumeInput{Stage: "assignmentRequestRemoved"}, ""},
		{ResumeInput{Stage: "assignmentRequestApproved", State: "canceled"}, "only be set at the assignmentRequestCreated stage"},
		{ResumeInput{Stage: "assignmentRequestCreated", State: "approved"}, "not valid"},
		{ResumeInput{Stage: "assignmentFourteenDaysBeforeExpiration"}, "is not one of"},
	} {
		err := ValidateResume(tc.in)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: %v", tc.in, err)
		}
	}
	waiting := &Request{ID: "r", State: StateSubmitted, Status: "WaitingForCallback", Callouts: []Callout{{ID: "c1", Status: "waitingForCallback"}}}
	if err := ResumeGuard(waiting, ResumeInput{StageInstanceID: "C1"}); err != nil {
		t.Error(err)
	}
	if err := ResumeGuard(waiting, ResumeInput{StageInstanceID: "c2"}); err == nil {
		t.Error("an unknown callout instance was accepted")
	}
	if err := ResumeGuard(&Request{ID: "r", State: StateDelivered, Status: "Delivered"}, ResumeInput{}); err == nil || !strings.Contains(err.Error(), "not waiting") {
		t.Errorf("delivered: %v", err)
	}
}
