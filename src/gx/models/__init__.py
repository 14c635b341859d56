"""Models and the model registry: flavors that save and load a library's models (``sklearn``,
``xgboost``, ``lightgbm``, ``pyfunc``, sharing ``flavor``), the descriptor ``model.yaml``
(``descriptor``), signatures (``signature``), ``runs:/`` and ``models:/`` URIs (``uri``), and the
registry on GTO-format git tags: events (``events``), state (``state``), writes (``registry``),
reconciling with a remote (``reconcile``), and MLflow-shaped objects and client calls
(``entities``, ``client``).

Loading a model unpickles it, which runs code: it happens only when asked (never when listing,
showing or pulling).
"""
