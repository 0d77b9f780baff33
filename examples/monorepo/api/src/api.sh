#!/bin/sh
# Answers like a tiny API: one JSON line.
echo "{\"message\": \"${GREETING}\"}"
