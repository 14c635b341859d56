"""Large files through Git LFS: pointer files (``pointer``), the local object store laid out exactly as
git-lfs lays it out (``.git/lfs/objects/<aa>/<bb>/<sha256>``), and transfers to LFS servers.

It sits between ``gx.tracking`` (which writes pointers for large artifacts) and ``gx.store``; it never
imports dulwich itself.
"""
