#!/bin/sh
# The system browser of the window tests. The app opens the provider's sign-in page the way it
# does on a worker's desktop (the `open` crate, then xdg-open); with no desktop environment,
# xdg-open hands the address to $BROWSER, this script, which writes it where the test reads it.
# The test then plays the worker at that page over HTTP.
printf '%s\n' "$1" >> "$AANMELDER_TEST_BROWSER_LOG"
