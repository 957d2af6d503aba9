"""Plain-text summaries of bundled or fresh training results, for the command line."""

from __future__ import annotations


def describe(name: str, bundle: dict) -> str:
    config = ", ".join(f"{k} {v}" for k, v in bundle["config"].items())
    lines = [f"{name} on {bundle['device']}: {config}"]
    if name == "plain-vs-residual":
        lines.append(f"{'net':14s} {'params':>9s} {'first loss':>11s} {'last loss':>10s} {'last val err':>13s}")
        for run in bundle["runs"]:
            lines.append(f"{run['kind'] + '-' + str(run['depth']):14s} {run['params']:>9,} "
                         f"{run['train_loss'][0]:>11.4f} {run['train_loss'][-1]:>10.4f} "
                         f"{run['val_error'][-1]:>13.1%}")
    elif name == "lenet5":
        lines.append(f"{'activation':10s} {'first loss':>11s} {'last loss':>10s} {'val acc':>8s} {'test acc':>9s} "
                     f"{'seconds':>8s}")
        for run in bundle["runs"]:
            lines.append(f"{run['activation']:10s} {run['initial_loss']:>11.4f} {run['train_loss'][-1]:>10.4f} "
                         f"{run['val_accuracy'][-1]:>8.1%} {run['test_accuracy']:>9.1%} {run['seconds']:>8.1f}")
    else:
        lines.append(f"{'mode':10s} {'trainable':>10s} {'test acc':>9s} {'seconds':>8s}")
        for run in bundle["runs"]:
            lines.append(f"{run['mode']:10s} {run['trainable_params']:>10,} {run['test_accuracy']:>9.1%} "
                         f"{run['seconds']:>8.1f}")
        for entry in bundle.get("by_size", []):
            lines.append(f"with {entry['per_class']} images per class: " + ", ".join(
                f"{run['mode']} {run['test_accuracy']:.1%} in {run['seconds']:.1f} s" for run in entry["runs"]))
    return "\n".join(lines)
