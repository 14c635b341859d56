"""Git hooks: installing gx's shims beside the user's own hooks, what each hook does when git runs
it, and the runs recorded from commits through gx.yaml's ``autolog`` section (``commit_*``);
``remote_hook`` is ``gx remote setup`` with the pre-push hook it installs.

Kept import-free: ``python -m gx.hooks`` runs on every commit.
"""

#: The hooks gx installs and runs (here so ``python -m gx.hooks`` needs no other module to check a name).
HOOK_TYPES = ("pre-commit", "post-commit", "pre-push")
#: Set by the shims to their ``$PPID``: the git process that runs both commit hooks (``gx.hooks.handoff``).
GIT_PID_VARIABLE = "GX_GIT_PID"
