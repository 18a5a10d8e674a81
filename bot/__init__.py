"""Answer questions over the article index, and the front ends that render answers."""
