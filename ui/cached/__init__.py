"""The one place that defines the app's caches (shared across sessions and threads), one module per page group.
Pages call them as ``cached.summary(...)``; a test that replaces one replaces it in its module."""

from ui.cached.architectures import (summary, key_facts, graph_dot, graph_svg, graph_picture, walk_steps, volume_svg,
                                     sources, cost_chart, layer_counts, block_picture, block_dot, departure_counts,
                                     departure_notes, checked_claims, checked_claims_with_keys, receptive_fields)
from ui.cached.compare import (compare_summary_table, compare_notes_verdicts, compare_winner_depths,
                               compare_accuracy_points, transfer_stages, transfer_freezing)
from ui.cached.image_lab import (inference_queue, classifier, image_predictions, inspected_model,
                                 pretrained_or_random, sample_photo, inspected_layers, image_filter_figure,
                                 image_feature_maps, image_feature_grid, image_grad_cam, ten_crop_prediction)
from ui.cached.trainings import training_queue, schedule_runs, schedule_run
from ui.cached.any_network import (files_queue, timm_network, onnx_network, network_graph_dot, network_cost_chart,
                                   onnx_classifier, uploaded_predictions)
from ui.cached.figures import figure
from ui.cached.designer import (design_report, design_graph_dot, design_cost_chart, design_walk,
                                registry_reading)
from ui.cached.labs import (lab_measured_field, lab_effective_field, topic_activation_spread,
                            topic_bottleneck_spectrum, topic_cifar_resnets)

__all__ = ['summary', 'key_facts', 'graph_dot', 'graph_svg', 'graph_picture', 'walk_steps', 'volume_svg', 'sources',
           'cost_chart', 'layer_counts', 'block_picture', 'block_dot', 'departure_counts', 'departure_notes',
           'checked_claims', 'checked_claims_with_keys',
           'receptive_fields', 'compare_summary_table', 'compare_notes_verdicts', 'compare_winner_depths',
           'compare_accuracy_points', 'transfer_stages', 'transfer_freezing', 'inference_queue', 'classifier',
           'image_predictions', 'inspected_model', 'pretrained_or_random', 'sample_photo', 'inspected_layers',
           'image_filter_figure', 'image_feature_maps', 'image_feature_grid', 'image_grad_cam', 'ten_crop_prediction',
           'training_queue',
           'schedule_runs', 'schedule_run', 'lab_measured_field', 'lab_effective_field', 'topic_activation_spread',
           'topic_bottleneck_spectrum', 'topic_cifar_resnets',
           'files_queue', 'timm_network', 'onnx_network', 'network_graph_dot', 'network_cost_chart', 'onnx_classifier',
           'uploaded_predictions', 'figure', 'design_report', 'design_graph_dot', 'design_cost_chart', 'design_walk',
           'registry_reading']
