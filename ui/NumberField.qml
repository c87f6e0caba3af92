import QtQuick
import QtQuick.Controls
import Nibble.App

// A text field for a number; edited(value) when the user finishes a valid one.
TextField {
    id: field
    property real value
    property int decimals: 2
    signal edited(real value)
    width: 280
    text: decimals > 0 ? Number(value).toFixed(decimals) : String(value)
    horizontalAlignment: Text.AlignRight
    validator: DoubleValidator { bottom: 0; decimals: field.decimals; notation: DoubleValidator.StandardNotation }
    color: Theme.text
    selectByMouse: true
    onEditingFinished: if (acceptableInput) field.edited(Number(text))
}
