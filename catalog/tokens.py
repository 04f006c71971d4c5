"""azure-native's type-token prefixes of the two AI resource providers [azure-native].

Here, not beside the components, so that what reads plans only (the diff) names a type without loading Pulumi;
the policy pack, which ships alone, spells them once more in policy/rules.py.
"""

ML_TYPES = "azure-native:machinelearningservices"
COGNITIVE_TYPES = "azure-native:cognitiveservices"
