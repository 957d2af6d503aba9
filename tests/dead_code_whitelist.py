"""Names vulture cannot see used: attributes set on library objects, and pytest fixtures used by name."""

_ = object
_.inplace  # torch activations switched to out-of-place before hooks (cnnviz/imagelab/predict.py)
_.aux1, _.aux2, _.aux_logits  # torchvision's auxiliary heads removed from pretrained classifiers
_.scaleanchor  # plotly axis property
_._fc  # EfficientNet's head, replaced for transfer learning
_.intra_op_num_threads, _.inter_op_num_threads, _.log_severity_level  # ONNX Runtime session options
_.log_message  # the HTTP handler's logging, silenced in a test server
_.one_torch_thread, _.deterministic, _.no_torchvision_weights  # pytest fixtures
_.onnx_classifier_size, _.working_directory  # cnnviz.sandbox_jobs: the fork server calls its jobs by name
_.warm_sandbox, _.components_scanned_once  # pytest fixtures (autouse)
_.pytest_configure, _.pytest_collection_modifyitems  # pytest hooks (tests/conftest.py)
_.downgrade  # an Alembic migration's step back, called by Alembic by name (cnnviz/classroom/migrations)
_._connected, _._begin, _.isolation_level  # SQLAlchemy event listeners and the sqlite3 option they set
_.class_store  # pytest fixture (autouse)
_.english_after_each_test  # pytest fixture (autouse)
