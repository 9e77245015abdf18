from __future__ import annotations

# Models arrive with the governance issue.
