"""The browser app (Mesa SolaraViz): watch and steer one run.

Imported only by the ``tradetalks viz`` command and its tests, never by the model.
"""
