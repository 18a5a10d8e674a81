"""Cost of newsbot's index as the corpus grows, against the stock LangChain stack.

Run everything with `.venv/bin/python -m benchmarks.run`; it rewrites BENCHMARKS.md.
"""
