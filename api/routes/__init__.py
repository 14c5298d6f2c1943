"""One router per resource: health, policies, enterprises, match, targets, feedback, service."""
