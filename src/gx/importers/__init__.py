"""MLflow import and export: reading MLflow's SQLite schema (``mlflow_sqlite``) and file store
(``mlflow_files``) into neutral runs (``source``) without importing mlflow, turning them into gx
records (``convert``), writing them through the store's writer idempotently (``mlflow_import``),
and writing gx runs into an MLflow store through the ``mlflow`` package (``mlflow_export``)."""
