"""``gx ui``: a local, read-only web app over the repository's runs.

``server`` (HTTP, security headers, Host check, static assets), ``api`` (the JSON endpoints, built on
gx.query's functions: no second query engine), ``runview`` (one run and its artifacts as JSON),
``live`` (RUNNING runs read from their journals, bounded), ``static/`` (HTML, CSS and JS, no build step).
"""
