"""Benchmarks: Qingmall's hot paths as ratios against bare ceilings measured in the same run."""
