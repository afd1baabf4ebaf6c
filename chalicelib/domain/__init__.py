"""The rules of complaint handling: plain Python, no AWS, no I/O, time passed in."""
