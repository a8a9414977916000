#!/usr/bin/python3
"""Runs the SageMaker Python SDK examples of docs/sagemaker.md as written, with
stand-ins for the SDK (v2's generic Estimator; v3's ModelTrainer and its
configs, with the fields sagemaker-train defines) that record what each
would send: each hyperparameter as str(value) (v2) or as ModelTrainer
serializes it (v3); every channel with its S3 distribution and input mode.
Then writes the ML root every instance would get and puts it through
`ringsim launch --dry-run` on each host.

Usage: sagemaker_guide.py RINGSIM DOCS_SAGEMAKER_MD WORK [--roots MATRIX]
Exit 0 when the launcher accepts the example on every host for both values
of `sharded`, and no hyperparameter carries a secret; else 1, with one line
per problem. --roots MATRIX: the replicated layout only, with MATRIX in the
input channel, so that a test bed can run the job (WORK/replicated/algo-K).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import types

ringsim, guide, work = sys.argv[1:4]
roots_matrix = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--roots" else None
problems = []


def problem(text):
    print(f"FAIL: {text}")
    problems.append(text)


text = open(guide).read()
section = text.split("## Start a job with the SageMaker Python SDK", 1)
if len(section) != 2:
    sys.exit("FAIL: no 'Start a job with the SageMaker Python SDK' section")
blocks = re.findall(r"```python\n(.*?)```", section[1], re.S)
if not blocks:
    sys.exit("FAIL: no python block in that section")
example = blocks[0]

# The keyword arguments SageMaker Python SDK v2 (2.200 and later) takes; an
# unknown one would be a TypeError there.
ESTIMATOR_ARGS = {
    "image_uri", "role", "instance_count", "instance_type", "volume_size", "volume_kms_key", "max_run",
    "input_mode", "output_path", "output_kms_key", "base_job_name", "sagemaker_session", "hyperparameters",
    "tags", "subnets", "security_group_ids", "model_uri", "model_channel_name", "metric_definitions",
    "encrypt_inter_container_traffic", "use_spot_instances", "max_wait", "checkpoint_s3_uri",
    "checkpoint_local_path", "enable_network_isolation", "environment", "max_retry_attempts",
    "keep_alive_period_in_seconds", "container_entry_point", "container_arguments", "disable_output_compression",
}
INPUT_ARGS = {"s3_data", "distribution", "compression", "content_type", "record_wrapping", "s3_data_type",
              "instance_groups", "input_mode", "attribute_names", "target_attribute_name", "shuffle_config"}


class Recorder:
    estimators = []


class Session:
    def default_bucket(self):
        return "example-bucket"


class TrainingInput:
    def __init__(self, s3_data, **kwargs):
        unknown = set(kwargs) - INPUT_ARGS
        if unknown:
            raise TypeError(f"TrainingInput got unexpected arguments {sorted(unknown)}")
        self.s3_data = s3_data
        self.distribution = kwargs.get("distribution", "FullyReplicated")
        self.content_type = kwargs.get("content_type")
        self.input_mode = kwargs.get("input_mode")


class Estimator:
    def __init__(self, **kwargs):
        unknown = set(kwargs) - ESTIMATOR_ARGS
        if unknown:
            raise TypeError(f"Estimator got unexpected arguments {sorted(unknown)} "
                            "(the generic Estimator has no 'distribution': framework estimators only)")
        self.kwargs = kwargs
        self.hyperparameters_ = dict(kwargs.get("hyperparameters") or {})
        self.channels = None
        self.model_data = "s3://example-bucket/ringsim/output/job/output/model.tar.gz"
        Recorder.estimators.append(self)

    def set_hyperparameters(self, **kwargs):
        self.hyperparameters_.update(kwargs)

    def fit(self, inputs=None, wait=True, logs="All", job_name=None):
        if self.channels is not None:
            raise RuntimeError("fit called twice in the example")
        self.channels = {}
        for name, value in (inputs or {}).items():
            self.channels[name] = value if isinstance(value, TrainingInput) else TrainingInput(value)


sdk = types.ModuleType("sagemaker")
sdk.Session = Session
sdk.__version__ = "2.257.0"
estimator_module = types.ModuleType("sagemaker.estimator")
estimator_module.Estimator = Estimator
inputs_module = types.ModuleType("sagemaker.inputs")
inputs_module.TrainingInput = TrainingInput
sdk.estimator, sdk.inputs = estimator_module, inputs_module
sys.modules.update({"sagemaker": sdk, "sagemaker.estimator": estimator_module, "sagemaker.inputs": inputs_module})

def check_job(label, sharded, job):
    """What SageMaker writes into each container for `job` (instance_count,
    instance_type, checkpoint, hyperparameters as sent, channels as
    {name: (distribution, content_type, input_mode)}), then the launcher's
    dry run on every host. Returns the hosts' ML roots, or None."""
    problems_before = len(problems)
    hosts = [f"algo-{i}" for i in range(1, job["instance_count"] + 1)]
    hyperparameters = job["hyperparameters"]
    # AWS: no secret in hyperparameters (console, DescribeTrainingJob,
    # CloudTrail show them); the secret channel's name is no secret.
    for key, value in hyperparameters.items():
        if ("secret" in key and key != "job_secret_channel") or re.fullmatch(r"[0-9a-f]{32,}", value):
            problem(f"{label}: hyperparameter '{key}' carries a secret: SageMaker shows hyperparameters to whoever "
                    "may describe the job; give it as a channel (job_secret_channel)")
    channels = {name: {"ContentType": content_type or "", "TrainingInputMode": mode,
                       "S3DistributionType": distribution, "RecordWrapperType": "None"}
                for name, (distribution, content_type, mode) in job["channels"].items()}
    root_of = {}
    for host in hosts:
        root = os.path.join(work, label, host)
        root_of[host] = root
        os.makedirs(f"{root}/input/config", exist_ok=True)
        for name in channels:
            os.makedirs(f"{root}/input/data/{name}", exist_ok=True)
        json.dump({"current_host": host, "hosts": hosts, "network_interface_name": "eth0",
                   "current_instance_type": job["instance_type"]},
                  open(f"{root}/input/config/resourceconfig.json", "w"))
        json.dump(hyperparameters, open(f"{root}/input/config/hyperparameters.json", "w"))
        json.dump(channels, open(f"{root}/input/config/inputdataconfig.json", "w"))
        if job["checkpoint"]:
            os.makedirs(f"{root}/checkpoints", exist_ok=True)
        if roots_matrix:
            shutil.copy(roots_matrix, f"{root}/input/data/{hyperparameters.get('channel', 'train')}/matrix.npy")
    tls_channel = hyperparameters.get("tls_channel")
    if tls_channel:
        if tls_channel not in channels:
            problem(f"{label}: tls_channel '{tls_channel}' is not one of the channels {sorted(channels)}")
        # As the guide makes it (--hosts algo-1..N): one channel, every host's copy alike.
        made = f"{work}/{label}-certs"
        subprocess.run([ringsim, "certs", "--out", made, "--hosts", f"algo-1..{len(hosts)}"],
                       check=True, capture_output=True)
        for host in hosts:
            shutil.rmtree(f"{root_of[host]}/input/data/{tls_channel}")
            shutil.copytree(made, f"{root_of[host]}/input/data/{tls_channel}")
    for host in hosts:
        result = subprocess.run([ringsim, "launch", "--ml-root", root_of[host], "--dry-run"],
                                capture_output=True, text=True, env=dict(os.environ, SM_NUM_CPUS="72"))
        if result.returncode != 0:
            problem(f"{label}, {host}: ringsim launch --dry-run refused the example: "
                    f"{(result.stderr or result.stdout).strip()}")
            continue
        role = "leader" if host == hosts[0] else "worker"
        if f"role: {role}" not in result.stdout:
            problem(f"{label}, {host}: expected role {role}: {result.stdout[:200]}")
        if tls_channel and "a valid certificate and key for each of " + ", ".join(hosts) not in result.stdout:
            problem(f"{label}, {host}: the dry run did not check the certificates against {hosts}")
        if host == hosts[0]:
            argv = result.stdout
            want = ["--transport tls" if hyperparameters.get("transport") == "tls" else "",
                    f"--k {hyperparameters['k']}" if "k" in hyperparameters else "",
                    "--sharded" if sharded else "", "--checkpoint-dir",
                    "--resource-config", "--bind eth0"]
            for piece in filter(None, want):
                if piece not in argv:
                    problem(f"{label}: the ranks' command lacks '{piece}'")
            if not sharded and "--sharded" in argv:
                problem(f"{label}: the ranks' command says --sharded")
            per_host = hyperparameters.get("processes_per_host")
            if per_host and f"-np {int(per_host) * len(hosts)}" not in argv:
                problem(f"{label}: expected -np {int(per_host) * len(hosts)}")
            if not per_host and "(one per physical core the container may use" not in argv:
                problem(f"{label}: the default ranks per host is not one per physical core: {argv[-600:]}")
    if len(problems) > problems_before:
        return None
    print(f"ok   {label}: {len(hosts)} hosts, hyperparameters {hyperparameters}, channels "
          f"{ {n: (c['S3DistributionType'], c['TrainingInputMode']) for n, c in channels.items()} }: "
          "accepted on every host")
    return os.path.join(work, label)


def run_example(code, sharded, what):
    """Runs one example block with `sharded` set; False when it raised."""
    code = code.replace("sharded = False", f"sharded = {sharded}")
    try:
        exec(compile(code, "docs/sagemaker.md", "exec"), {"__name__": "__example__", "print": lambda *a: None})
    except Exception as error:  # the example itself is broken
        problem(f"{what}, sharded={sharded}: the example raised {type(error).__name__}: {error}")
        return False
    return True


if "sharded = False" not in example:
    problem("the example no longer has 'sharded = False' (the test runs both layouts)")
layouts_passed = 0
roots = None
for sharded in (False,) if roots_matrix else (False, True):
    Recorder.estimators.clear()
    if not run_example(example, sharded, "Estimator"):
        continue
    if len(Recorder.estimators) != 1 or Recorder.estimators[0].channels is None:
        problem(f"sharded={sharded}: expected one Estimator and one fit()")
        continue
    estimator = Recorder.estimators[0]
    kwargs = estimator.kwargs
    if kwargs.get("use_spot_instances") and kwargs.get("max_wait", 0) < kwargs.get("max_run", 86400):
        problem("max_wait must be at least max_run with spot instances")
    if "checkpoint_local_path" in kwargs:
        problem("the example sets checkpoint_local_path (the launcher reads /opt/ml/checkpoints)")
    if not kwargs.get("enable_network_isolation"):
        problem("the Estimator example does not set enable_network_isolation (AWS's advice for sensitive data)")
    job = {"instance_count": kwargs["instance_count"], "instance_type": kwargs["instance_type"],
           "checkpoint": bool(kwargs.get("checkpoint_s3_uri")),
           # v2's generic Estimator: str(value) for each
           "hyperparameters": {str(k): str(v) for k, v in estimator.hyperparameters_.items()},
           "channels": {name: (c.distribution, c.content_type, c.input_mode or kwargs.get("input_mode") or "File")
                        for name, c in estimator.channels.items()}}
    roots = check_job("sharded" if sharded else "replicated", sharded, job)
    layouts_passed += roots is not None

if roots_matrix:
    if roots and not problems:
        print(f"roots: {roots}")
    sys.exit(1 if problems else 0)

# SDK v3: ModelTrainer, its configs as sagemaker-train defines them
# (pydantic models with extra="forbid": an unknown field is an error). The
# fields below are those of sagemaker-train's ModelTrainer, Compute
# (ResourceConfig), Networking (VpcConfig), StoppingCondition,
# OutputDataConfig, CheckpointConfig, InputData, Channel, DataSource and
# S3DataSource.
V3_FIELDS = {
    "ModelTrainer": {"training_mode", "sagemaker_session", "role", "base_job_name", "source_code", "distributed",
                     "compute", "networking", "stopping_condition", "training_image", "training_image_config",
                     "algorithm_name", "output_data_config", "input_data_config", "checkpoint_config",
                     "training_input_mode", "environment", "hyperparameters", "tags", "local_container_root",
                     "model_package_config"},
    "Compute": {"instance_type", "instance_count", "volume_size_in_gb", "volume_kms_key_id",
                "keep_alive_period_in_seconds", "instance_groups", "training_plan_arn",
                "enable_managed_spot_training"},
    "Networking": {"security_group_ids", "subnets", "enable_network_isolation",
                   "enable_inter_container_traffic_encryption"},
    "StoppingCondition": {"max_runtime_in_seconds", "max_wait_time_in_seconds", "max_pending_time_in_seconds"},
    "OutputDataConfig": {"s3_output_path", "kms_key_id", "compression_type"},
    "CheckpointConfig": {"s3_uri", "local_path"},
    "InputData": {"channel_name", "data_source", "content_type"},
    "Channel": {"channel_name", "data_source", "content_type", "compression_type", "record_wrapper_type",
                "input_mode", "shuffle_config"},
    "DataSource": {"s3_data_source", "file_system_data_source", "dataset_source"},
    "S3DataSource": {"s3_data_type", "s3_uri", "s3_data_distribution_type", "attribute_names",
                     "instance_group_names", "model_access_config", "hub_access_config"},
}


def v3_class(name):
    def init(self, **fields):
        unknown = set(fields) - V3_FIELDS[name]
        if unknown:
            raise TypeError(f"{name}: extra fields not permitted: {sorted(unknown)}")
        self.__dict__.update(fields)
    return type(name, (), {"__init__": init, "get": lambda self, key, default=None: self.__dict__.get(key, default)})


configs_module = types.ModuleType("sagemaker.train.configs")
for name in V3_FIELDS:
    if name != "ModelTrainer":
        setattr(configs_module, name, v3_class(name))
trainers = []
ModelTrainerBase = v3_class("ModelTrainer")


class ModelTrainer(ModelTrainerBase):
    def __init__(self, **fields):
        super().__init__(**fields)
        self.input_data = None
        trainers.append(self)

    def train(self, input_data_config=None, wait=True, logs=True):
        if self.input_data is not None:
            raise RuntimeError("train called twice in the example")
        self.input_data = list(input_data_config or self.get("input_data_config") or [])


train_module = types.ModuleType("sagemaker.train")
train_module.ModelTrainer = ModelTrainer
train_module.configs = configs_module
sys.modules.update({"sagemaker.train": train_module, "sagemaker.train.configs": configs_module})
sdk.train = train_module


def v3_job(trainer):
    """What ModelTrainer sends, as check_job takes it."""
    compute, stopping = trainer.get("compute"), trainer.get("stopping_condition")
    if compute.get("enable_managed_spot_training") and (
            stopping.get("max_wait_time_in_seconds", 0) < stopping.get("max_runtime_in_seconds", 86400)):
        problem("ModelTrainer: max_wait_time_in_seconds must be at least max_runtime_in_seconds with spot")
    if trainer.get("distributed") or trainer.get("source_code"):
        problem("ModelTrainer: distributed/source_code replace the image's entrypoint with the SDK's driver")
    checkpoint = trainer.get("checkpoint_config")
    if checkpoint is not None and checkpoint.get("local_path", "/opt/ml/checkpoints") != "/opt/ml/checkpoints":
        problem("ModelTrainer: checkpoint_config.local_path is not /opt/ml/checkpoints")
    default_mode = trainer.get("training_input_mode") or "File"
    channels = {}
    for item in trainer.input_data:
        if type(item).__name__ == "InputData":
            channels[item.channel_name] = ("FullyReplicated", item.get("content_type"), default_mode)
        else:
            s3 = item.data_source.s3_data_source
            channels[item.channel_name] = (s3.get("s3_data_distribution_type", "FullyReplicated"),
                                           item.get("content_type"), item.get("input_mode") or default_mode)
    # sagemaker-train's safe_serialize: strings as they are, the rest JSON.
    sent = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in trainer.get("hyperparameters", {}).items()}
    return {"instance_count": compute.get("instance_count", 1), "instance_type": compute.get("instance_type"),
            "checkpoint": checkpoint is not None, "hyperparameters": sent, "channels": channels}


v3_blocks = [b for b in blocks if "ModelTrainer(" in b]
if len(v3_blocks) != 1:
    problem(f"expected one ModelTrainer example in the section, found {len(v3_blocks)}")
else:
    networking = None
    for sharded in (False, True):
        trainers.clear()
        if not run_example(v3_blocks[0], sharded, "ModelTrainer"):
            continue
        if len(trainers) != 1 or trainers[0].input_data is None:
            problem(f"ModelTrainer, sharded={sharded}: expected one ModelTrainer and one train()")
            continue
        networking = trainers[0].get("networking")
        label = "v3-" + ("sharded" if sharded else "replicated")
        layouts_passed += check_job(label, sharded, v3_job(trainers[0])) is not None
    if networking is None or not networking.get("enable_network_isolation"):
        problem("the ModelTrainer example does not set enable_network_isolation")

print(f"{layouts_passed} layouts passed, {len(problems)} problems")
sys.exit(1 if problems else 0)
