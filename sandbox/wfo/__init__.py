"""The sandbox's WFO APIs: session login, Data Explorer report exports, people/group/team exports."""
