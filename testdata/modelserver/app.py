"""A small scikit-learn model server, as teams run them in production.

It trains a classifier at start on the Wisconsin breast-cancer data bundled in
scikit-learn (569 rows, 30 numeric features; deterministic) and serves it over
two protocols:

    GET  /v2/health/live                                 OIP v2 liveness
    GET  /v2/health/ready                                OIP v2 readiness
    GET  /v2/models/{name}[/versions/{v}]                OIP v2 model metadata
    GET  /v2/models/{name}[/versions/{v}]/ready          OIP v2 model readiness
    POST /v2/models/{name}[/versions/{v}]/infer          OIP v2 inference
    GET  /v1/models/{name}[/versions/{v}]                TF Serving model status
    POST /v1/models/{name}[/versions/{v}]:predict        TF Serving predict

OIP v2 inputs are either one FP32/FP64 tensor of shape [batch, 30] (data flat
or nested) or 30 tensors of shape [batch] or [batch, 1], named by feature
("mean radius", ...). The answer has two outputs: "probabilities" (FP64,
[batch, 2]: malignant, benign) and "label" (INT64, [batch]: 0 malignant,
1 benign). TF Serving "instances" are lists of 30 numbers or objects keyed by
feature name ("inputs" in the columnar format works too); the answer is
{"predictions": [[p0, p1], ...]}.

Request bodies may be gzip (Content-Encoding: gzip), as gateways send them.
Errors are JSON, {"error": "..."}: 400 for a malformed body, 404 for an
unknown model or version.

Run it with Debian's packages (python3-flask, python3-sklearn, gunicorn):

    gunicorn --chdir testdata/modelserver --bind 127.0.0.1:8080 --workers 2 app:app

or, from this folder, gunicorn --bind 127.0.0.1:8080 --workers 2 app:app.
The environment variables MODEL_NAME (default breast-cancer) and
MODEL_VERSION (default 1) name the model. MODEL_SWAP_CLASSES=1 serves a
broken model that swaps the two classes (a bad deploy, for synthetic checks
to catch).
"""

import gzip
import io
import json
import math
import os
import uuid

import numpy as np
from flask import Flask, Response, request
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from werkzeug.exceptions import HTTPException

MODEL_NAME = os.environ.get("MODEL_NAME", "breast-cancer")
MODEL_VERSION = os.environ.get("MODEL_VERSION", "1")
SWAP_CLASSES = os.environ.get("MODEL_SWAP_CLASSES") == "1"
MAX_BODY_BYTES = 16 << 20  # once decompressed


class BadRequest(Exception):
    """A request the server refuses with 400."""


class NotFound(Exception):
    """An unknown model or version: 404."""


def train():
    data = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=0))
    model.fit(data.data, data.target)
    return model, [str(n) for n in data.feature_names], [str(n) for n in data.target_names]


MODEL, FEATURES, CLASSES = train()
N_FEATURES = len(FEATURES)
FEATURE_INDEX = {name: i for i, name in enumerate(FEATURES)}

app = Flask(__name__)


def reply(obj, status=200):
    # allow_nan=False: a NaN would make the body invalid JSON.
    return Response(json.dumps(obj, allow_nan=False), status=status, mimetype="application/json")


@app.errorhandler(BadRequest)
def bad_request(e):
    return reply({"error": str(e)}, 400)


@app.errorhandler(NotFound)
def not_found(e):
    return reply({"error": str(e)}, 404)


@app.errorhandler(HTTPException)
def http_error(e):
    return reply({"error": e.description}, e.code)


@app.errorhandler(Exception)
def internal_error(e):
    app.logger.exception("inference failed")
    return reply({"error": "internal error: %s" % type(e).__name__}, 500)


def check_model(name, version=None):
    if name != MODEL_NAME:
        raise NotFound("model %s not found" % name)
    if version is not None and version != MODEL_VERSION:
        raise NotFound("model %s version %s not found" % (name, version))


def read_json():
    """Returns the request body as JSON, decompressed when it is gzip."""
    body = request.get_data(cache=False)
    enc = request.headers.get("Content-Encoding", "identity").strip().lower()
    if enc in ("gzip", "x-gzip"):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
                body = f.read(MAX_BODY_BYTES + 1)
        except (OSError, EOFError) as e:
            raise BadRequest("invalid gzip body: %s" % e)
    elif enc != "identity":
        raise BadRequest("unsupported Content-Encoding %r" % enc)
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body exceeds %d bytes" % MAX_BODY_BYTES)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequest("invalid JSON body: %s" % e)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def flatten(data, what):
    """Flattens nested lists of numbers row-major."""
    out = []
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        elif is_number(v):
            out.append(v)
        else:
            raise BadRequest("%s holds %s, want numbers" % (what, type(v).__name__))
    return out


def to_matrix(rows, dtype=np.float64):
    x = np.asarray(rows, dtype=dtype)
    if not np.all(np.isfinite(x)):
        raise BadRequest("inputs hold NaN or infinite values")
    return x


def predict(x):
    proba = MODEL.predict_proba(x.astype(np.float64, copy=False))
    if SWAP_CLASSES:
        proba = proba[:, ::-1]
    return proba, proba.argmax(axis=1)


# --- Open Inference Protocol v2 ---------------------------------------------


@app.get("/v2/health/live")
def live():
    return reply({"live": True})


@app.get("/v2/health/ready")
def ready():
    return reply({"ready": True})


@app.get("/v2/models/<name>")
@app.get("/v2/models/<name>/versions/<version>")
def metadata(name, version=None):
    check_model(name, version)
    return reply(
        {
            "name": MODEL_NAME,
            "versions": [MODEL_VERSION],
            "platform": "sklearn",
            "inputs": [{"name": "input-0", "datatype": "FP64", "shape": [-1, N_FEATURES]}],
            "outputs": [
                {"name": "probabilities", "datatype": "FP64", "shape": [-1, len(CLASSES)]},
                {"name": "label", "datatype": "INT64", "shape": [-1]},
            ],
            "parameters": {"feature_names": FEATURES, "class_names": CLASSES},
        }
    )


@app.get("/v2/models/<name>/ready")
@app.get("/v2/models/<name>/versions/<version>/ready")
def model_ready(name, version=None):
    check_model(name, version)
    return reply({"name": MODEL_NAME, "ready": True})


def oip_inputs(body):
    """Returns the batch of an OIP v2 request as a [batch, 30] matrix."""
    if not isinstance(body, dict):
        raise BadRequest("request must be a JSON object")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise BadRequest("inputs must be a non-empty list")
    cols = []
    for i, t in enumerate(inputs):
        if not isinstance(t, dict):
            raise BadRequest("inputs[%d] must be an object" % i)
        name, shape, dtype = t.get("name"), t.get("shape"), t.get("datatype")
        if dtype not in ("FP32", "FP64"):
            raise BadRequest("inputs[%d] has datatype %r, want FP32 or FP64" % (i, dtype))
        if not isinstance(shape, list) or not shape or not all(is_number(d) and d == int(d) and d >= 0 for d in shape):
            raise BadRequest("inputs[%d] has an invalid shape %r" % (i, shape))
        shape = [int(d) for d in shape]
        if "data" not in t:
            raise BadRequest("inputs[%d] has no data" % i)
        data = flatten(t["data"], "inputs[%d].data" % i)
        if len(data) != math.prod(shape):
            raise BadRequest("inputs[%d]: shape %s wants %d values, data has %d" % (i, shape, math.prod(shape), len(data)))
        dt = np.float32 if dtype == "FP32" else np.float64
        cols.append((i, name, shape, to_matrix(data, dt)))
    if len(cols) == 1 and len(cols[0][2]) == 2 and cols[0][2][1] == N_FEATURES:
        _, _, shape, x = cols[0]
        return x.reshape(shape[0], N_FEATURES)
    # One input per feature, named.
    if len(cols) != N_FEATURES:
        raise BadRequest("want one input of shape [batch, %d] or %d inputs named by feature" % (N_FEATURES, N_FEATURES))
    batch = cols[0][2][0]
    x = np.empty((batch, N_FEATURES))
    seen = set()
    for i, name, shape, v in cols:
        if name not in FEATURE_INDEX:
            raise BadRequest("inputs[%d]: unknown feature %r" % (i, name))
        if name in seen:
            raise BadRequest("inputs[%d]: feature %r given twice" % (i, name))
        if shape[0] != batch or math.prod(shape[1:]) != 1:
            raise BadRequest("inputs[%d] has shape %s, want [%d] or [%d, 1]" % (i, shape, batch, batch))
        seen.add(name)
        x[:, FEATURE_INDEX[name]] = v
    return x


@app.post("/v2/models/<name>/infer")
@app.post("/v2/models/<name>/versions/<version>/infer")
def infer(name, version=None):
    check_model(name, version)
    body = read_json()
    x = oip_inputs(body)
    proba, label = predict(x)
    rid = body.get("id")
    if not isinstance(rid, str) or not rid:
        rid = str(uuid.uuid4())
    return reply(
        {
            "model_name": MODEL_NAME,
            "model_version": MODEL_VERSION,
            "id": rid,
            "parameters": {},
            "outputs": [
                {"name": "probabilities", "shape": list(proba.shape), "datatype": "FP64", "data": proba.ravel().tolist()},
                {"name": "label", "shape": [len(label)], "datatype": "INT64", "data": label.tolist()},
            ],
        }
    )


# --- TensorFlow Serving REST API --------------------------------------------


@app.get("/v1/models/<name>")
@app.get("/v1/models/<name>/versions/<version>")
def tf_status(name, version=None):
    check_model(name, version)
    return reply({"model_version_status": [{"version": MODEL_VERSION, "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]})


def tf_row(inst, i):
    if isinstance(inst, dict):
        missing = [f for f in FEATURES if f not in inst]
        if missing:
            raise BadRequest("instances[%d] lacks %d features, e.g. %r" % (i, len(missing), missing[0]))
        row = [inst[f] for f in FEATURES]
    elif isinstance(inst, list):
        row = flatten(inst, "instances[%d]" % i)
    else:
        raise BadRequest("instances[%d] must be a list or an object" % i)
    if len(row) != N_FEATURES or not all(is_number(v) for v in row):
        raise BadRequest("instances[%d] must hold %d numbers" % (i, N_FEATURES))
    return row


def tf_inputs(body):
    if not isinstance(body, dict):
        raise BadRequest("request must be a JSON object")
    if "instances" in body:
        inst = body["instances"]
        if not isinstance(inst, list) or not inst:
            raise BadRequest("instances must be a non-empty list")
        return to_matrix([tf_row(v, i) for i, v in enumerate(inst)])
    if "inputs" in body:
        inputs = body["inputs"]
        if isinstance(inputs, dict):  # columnar: {feature: [values...]}
            cols = [inputs.get(f) for f in FEATURES]
            if not all(isinstance(c, list) for c in cols) or len({len(c) for c in cols}) != 1:
                raise BadRequest("inputs must map every feature to a list of the same length")
            return to_matrix([tf_row(list(r), i) for i, r in enumerate(zip(*cols))])
        if isinstance(inputs, list) and inputs:
            return to_matrix([tf_row(v, i) for i, v in enumerate(inputs)])
        raise BadRequest("inputs must be a non-empty list or an object of lists")
    raise BadRequest("request needs instances or inputs")


@app.post("/v1/models/<name>:predict")
@app.post("/v1/models/<name>/versions/<version>:predict")
def tf_predict(name, version=None):
    check_model(name, version)
    proba, _ = predict(tf_inputs(read_json()))
    return reply({"predictions": proba.tolist()})
