// The shell's own Babel configuration.
module.exports = require('@rancher/shell/babel.config.js');
